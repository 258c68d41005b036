# syntax=docker/dockerfile:1
# One image for every x0 service; SERVICE picks which one runs (monitor, analyze, plan,
# execute, knowledge, trainer). Inside Docker the internet is reachable, so the optional
# @tensorflow/tfjs-node (native TensorFlow) installs and the detector uses it; elsewhere
# the code falls back to the WebAssembly or CPU backend of @tensorflow/tfjs.
#   docker build -t x0tta6bl4 .            (then: docker run -e SERVICE=monitor x0tta6bl4)

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci --no-audit --no-fund \
 && node -e "require('@tensorflow/tfjs-node')" \
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
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
ARG SERVICE=monitor
ENV SERVICE=${SERVICE}
EXPOSE 50051-50056 9101-9106
# Ready = the service's /readyz (SERVING); the gRPC health service answers the same.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "const d={monitor:9101,analyze:9102,plan:9103,execute:9104,knowledge:9105,trainer:9106};fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||d[process.env.SERVICE])+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "-c", "exec node dist/apps/${SERVICE}/main.js"]
