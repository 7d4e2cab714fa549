# mlexchange/host-binaries: what the services' images (Dockerfile beside this) copy from the
# host's build — bin/ (the executables), swift/ (the Swift runtime libraries they load),
# rdkafka/ (a librdkafka for tansu, or nothing) — as one image, so the ~900 MB are sent to the
# daemon once per change instead of once per service. Never run; only copied from.
FROM scratch
COPY bin/ /bin/
COPY swift/ /swift/
COPY rdkafka/ /rdkafka/
