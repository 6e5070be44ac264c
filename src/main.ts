import { mount } from 'svelte';
import './styles/app.css';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
void import('./pwa/register').then((pwa) => pwa.registerPwa());
