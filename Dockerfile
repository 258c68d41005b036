# syntax=docker/dockerfile:1
# One image for every x0 service; SERVICE picks which one runs (monitor, analyze, plan,
# execute, knowledge, trainer). The optional @tensorflow/tfjs-node (native TensorFlow)
# installs when the build can download libtensorflow, and the detector then uses it; when it
# cannot, the build says so (a warning) and the image uses the WebAssembly backend of
# @tensorflow/tfjs (else its CPU backend). GetDetectorInfo and `x0 stats` report the backend.
#   docker build -t x0tta6bl4 .            (then: docker run -e SERVICE=monitor x0tta6bl4)
#   docker build --build-arg REQUIRE_TFJS_NODE=1 -t x0tta6bl4 .   fail without tfjs-node

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY . .
# 1: fail the build when @tensorflow/tfjs-node does not load; 0: warn and use wasm.
ARG REQUIRE_TFJS_NODE=0
RUN npm ci --no-audit --no-fund \
 && node tools/deploy/check-tfjs-node.mjs \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production GRPC_HOST=0.0.0.0 X0_DATA_DIR=/data
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/apps/cli ./apps/cli
COPY --from=build /app/deploy ./deploy
# X0_DATA_DIR: written only by knowledge without QDRANT_URL (its embedded vector store).
# Owned by node so a named volume mounted here starts writable; no VOLUME instruction, which
# would give every service's container an anonymous volume it never writes.
RUN mkdir -p /data && chown node:node /data
USER node
ARG SERVICE=monitor
ENV SERVICE=${SERVICE}
EXPOSE 50051-50056 9101-9106
# Ready = the service's /readyz (SERVING); the gRPC health service answers the same.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "const d={monitor:9101,analyze:9102,plan:9103,execute:9104,knowledge:9105,trainer:9106};fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||d[process.env.SERVICE])+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "-c", "exec node dist/apps/${SERVICE}/main.js"]
