import { mount } from 'svelte';
import './styles/app.css';
import App from './App.svelte';
import { watchPolicyRefusals } from './shared/csp';

// A fetch the site's Content-Security-Policy refuses is then named as such, not as a failing network.
watchPolicyRefusals();

mount(App, { target: document.getElementById('app')! });
void import('./pwa/register').then((pwa) => pwa.registerPwa());
