# One image for the worker, the API and the setup job (docker-compose.yml picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/run.js --generate
ENV NODE_ENV=development API_HOST=0.0.0.0
CMD ["npx", "tsx", "worker.ts"]
