# syntax=docker/dockerfile:1
# Bedrock gateway: Bun runs the TypeScript sources directly, so there is no
# build step, only production dependencies installed from the lockfile.
#
# For ECS Fargate (arm64):
#   docker buildx build --platform linux/arm64 -t bedrock-gateway:1.0.0 .
# See README "Deploy on ECS Fargate".

ARG BUN_VERSION=1.4.5

# 1. Production dependencies, exactly as locked (fails if bun.lock is stale).
FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production --ignore-scripts

# 2. Runtime: the slim official image, our sources, no dev tools, not root.
FROM oven/bun:${BUN_VERSION}-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
# Files stay owned by root and read-only to the process.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json bun.lock tsconfig.json ./
COPY src ./src
# The SQLite store (keys, usage, stored responses) without DATABASE_URL: the only
# directory the process may write. Mount a volume here to keep it across containers.
RUN mkdir -p /app/data && chown bun:bun /app/data
VOLUME ["/app/data"]
# The official image creates this user (uid 1000); it never runs as root.
USER bun
EXPOSE 8080
# ECS sends SIGTERM, then SIGKILL after stopTimeout; the gateway drains on SIGTERM.
STOPSIGNAL SIGTERM
# Slim images have no curl: ask Bun itself. ECS ignores this (the task
# definition has its own health check); docker run and compose use it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bun", "-e", "const r = await fetch('http://127.0.0.1:' + (process.env.PORT ?? '8080') + '/health'); process.exit(r.ok ? 0 : 1)"]
CMD ["bun", "run", "src/index.ts"]
