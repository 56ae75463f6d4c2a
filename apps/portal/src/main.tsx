import { render } from 'preact';
import { Api } from './api';
import { App } from './app';
import './styles.css';

// The portal signs in with the session cookie its one-time link set; the API is on the same origin.
render(<App api={new Api()} />, document.getElementById('app')!);
