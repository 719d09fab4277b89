# One image per app, all built from this file; the APP build argument picks the app:
#
#   docker build --build-arg APP=customer-records -t warden/customer-records .
#
# Apps run from their TypeScript source with swc-node, as they do under `npm start`
# (NestJS 12 is ESM-only; Node 24 loads it through require(esm)).
FROM node:24-slim

WORKDIR /app

# Dependencies first, so that a code change reuses this layer. --ignore-scripts: the image
# already has Node 24, so the `node` devDependency need not download another one, and no other
# install script is needed at runtime (swc's native binary is a regular optional dependency).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts && npm cache clean --force

COPY tsconfig.base.json ./
COPY libs ./libs
COPY apps ./apps

ARG APP=customer-records
ENV APP=${APP} \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    SWC_NODE_PROJECT=tsconfig.base.json

USER node

# exec: node replaces the shell, so it receives SIGTERM and shuts down gracefully.
CMD ["sh", "-c", "exec node -r @swc-node/register \"apps/${APP}/src/main.ts\""]
