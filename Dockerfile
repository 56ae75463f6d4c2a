# syntax=docker/dockerfile:1
# Build stage: install everything, compile the server and build the admin portal (dist/portal), then drop the
# development dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY types ./types
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled server and its production dependencies only (no Nest CLI, no tsconfig-paths, no
# test tools), as an unprivileged user. `nest build` rewrites the @rollcall/* imports, so `dist` runs with plain
# `node`: the server (CMD below) and the migration command,
#   node dist/libs/database/src/cli.js run
# which docker-compose.yml runs as its own step before the servers start with MIGRATE_ON_START=false.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Without DATABASE_URL the server runs the embedded PostgreSQL with its data in ./.data (mount a volume there to
# keep it): a folder the unprivileged user owns. Run as root instead (--user 0) and the embedded PostgreSQL runs
# as the user `postgres`, created on first start (see the README, "Running as root").
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
# The API. With METRICS_PORT set (docker-compose.yml: 9464, METRICS_HOST=0.0.0.0), GET /metrics listens there too.
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The server applies pending migrations, then serves. On SIGTERM (docker stop) it stops taking connections,
# answers the requests in flight, closes the database pool and stops the embedded PostgreSQL cleanly, then exits 0;
# it gives up after 15 s (exit 1), so give `docker stop` more than that (`-t 20`, compose's stop_grace_period: 20s).
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=128", "dist/apps/api/src/main.js"]
