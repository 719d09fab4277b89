# One image per app, all built from this file; the APP build argument picks the app:
#
#   docker build --build-arg APP=customer-records -t warden/customer-records .
#
# The build stage compiles the app and the libraries to JavaScript (`npm run build`, see
# tools/build/build.mjs); the image runs the compiled app with plain Node, no TypeScript compiler at
# run time (NestJS 12 is ESM-only; Node 24 loads it through require(esm)). The gateway's image
# serves the console if it was built (`npm run console:build`) before `docker build`.

# --- build ---------------------------------------------------------------------------------------
FROM node:24-slim AS build

WORKDIR /app

# Dependencies first, so that a code change reuses this layer. --ignore-scripts: the image
# already has Node 24, so the `node` devDependency need not download another one, and no other
# install script is needed (swc's native binary is a regular optional dependency).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts && npm cache clean --force

COPY tsconfig.base.json ./
COPY tools/build ./tools/build
COPY libs ./libs
COPY apps ./apps

ARG APP=customer-records
# What `npm run build -- --app $APP` runs, called with the image's Node directly. The console's
# build directory is made if missing, so that the runtime stage can copy it for every app.
RUN node tools/build/build.mjs --app "${APP}" && mkdir -p apps/console/dist

# --- runtime -------------------------------------------------------------------------------------
FROM node:24-slim

WORKDIR /app

# node_modules is taken whole: the compiled code requires @swc/helpers (tsconfig's importHelpers),
# a devDependency, so `npm prune --omit=dev` would first need it moved to dependencies.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The gateway finds the console at dist/apps/console/dist, a link to this directory.
COPY --from=build /app/apps/console/dist ./apps/console/dist

ARG APP=customer-records
ENV APP=${APP} \
    NODE_ENV=production \
    HOST=0.0.0.0

USER node

# exec: node replaces the shell, so it receives SIGTERM and shuts down gracefully. An app's own
# Node options, if any, are in apps/<app>/node.flags (one per line, # comments), copied by the
# build to dist/apps/<app>/node.flags.
CMD ["sh", "-c", "exec node $(sed -e '/^#/d' \"dist/apps/${APP}/node.flags\" 2>/dev/null) \"dist/apps/${APP}/src/main.js\""]
