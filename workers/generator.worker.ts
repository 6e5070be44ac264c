// Entry of the generation worker: expose the API over comlink; nothing else lives here.
import { expose } from 'comlink';
import { api } from './api';

expose(api);
