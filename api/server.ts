/** `npm run api`: the HTTP API process (api/http/server.ts); the dev stack starts it for you with `npm start`. */
import './http/server';
