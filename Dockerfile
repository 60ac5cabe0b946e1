# batchlab and its embedded data set in an image, for `batchlab submit k8s --image <image>`
# (README: Beyond one machine). Build it from a checkout:
#   docker build -t <registry>/batchlab:0.1.0 . && docker push <registry>/batchlab:0.1.0
# The pods run `batchlab compare ...` and `batchlab merge ...`: the command below is on PATH.

FROM node:20-bookworm-slim AS build
WORKDIR /opt/batchlab
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src src
COPY models models
COPY scripts scripts
# npm ci compiles the sources into dist/ (the prepare script, with the development dependencies),
# then only the runtime dependencies are kept. The optional native TensorFlow is left out (its
# install downloads libtensorflow): the image trains on the wasm backend.
RUN npm ci --omit=optional && npm prune --omit=dev --omit=optional

FROM node:20-bookworm-slim
WORKDIR /opt/batchlab
COPY --from=build /opt/batchlab/package.json ./
COPY --from=build /opt/batchlab/node_modules node_modules
COPY --from=build /opt/batchlab/dist dist
COPY data data
COPY README.md ./
RUN printf '#!/bin/sh\nexec node /opt/batchlab/dist/src/cli/main.js "$@"\n' > /usr/local/bin/batchlab \
  && chmod +x /usr/local/bin/batchlab
# Root, so that the pods can write to a PersistentVolumeClaim whatever its owner.
ENTRYPOINT ["batchlab"]
CMD ["--help"]
