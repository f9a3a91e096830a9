// Entry point of the dashboard SPA: styles, theme, then the app. No inline script anywhere (the CSP
// forbids it), so the theme is applied here before the first render.
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { theme } from './lib/theme.svelte.js';

theme.apply();
mount(App, { target: document.getElementById('app')! });
