# One image for the worker, the API and the setup job (docker-compose.yml picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/run.js --generate
# Production unless told otherwise: it refuses development keys, local chains, plain-http RPC and private webhook
# targets (lib/production-mode.ts). docker-compose.yml, which runs on anvil, sets NODE_ENV=development itself.
ENV NODE_ENV=production API_HOST=0.0.0.0 WORKER_METRICS_HOST=0.0.0.0
CMD ["npx", "tsx", "worker.ts"]
