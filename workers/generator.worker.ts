// Entry of the generation worker: expose the API over comlink; nothing else lives here.
import { expose } from 'comlink';
import { watchPolicyRefusals } from '../src/shared/csp';
import { api } from './api';

// A fetch the site's Content-Security-Policy refuses is then named as such, not as a failing network.
watchPolicyRefusals();

expose(api);
