# MLExchange's images. One build stage compiles every executable once; each process is a target
# of its own on one slim Debian runtime stage, with its port, health check and command:
#
#   docker build --target users -t mlexchange/users .       (doc_compose/*.yml do this for you)
#
# Not built or run where it was written: that machine could not pull base images. docs/deploy.md
# says what to run where Docker can. DeploymentTests (doc_compose/Tests) reads this file: the
# PRODUCTS list, and each target's `FROM runtime AS`, EXPOSE, HEALTHCHECK and CMD lines.

# Package.swift needs swift-tools-version 6.2, so a 6.2 toolchain; bookworm like the runtime, so
# the C libraries linked here (libmongoc, librdkafka, SQLite) are the ones installed there.
ARG SWIFT_IMAGE=swift:6.2-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libmongoc-dev libbson-dev librdkafka-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Every executable product a deployment runs. Left out on purpose: outbox-crash-child (a test's
# child process) and mlex-bench (`make bench`, needs the test servers). The static Swift runtime
# keeps the runtime image free of a toolchain; the C libraries stay dynamic (Debian's packages).
ARG PRODUCTS="mlex-web mlex-users mlex-data mlex-compute mlex-compute-agent mlex-compute-supervisor mlex-ingest mlex-mlhub mlex-tag mlex"
RUN mkdir -p /out \
    && for product in $PRODUCTS; do \
         swift build -c release --static-swift-stdlib --product "$product" || exit 1; \
         install -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/$product" /out/; \
       done

# What every process loads at run time, and nothing to build with.
FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libmongoc-1.0-0 libbson-1.0-0 librdkafka1 libsqlite3-0 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
# Services run as this unprivileged user; the state dir is a volume in compose. uid 10001 is
# what a secret file mounted from the host must be readable by (docs/deploy.md).
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /var/lib/mlexchange \
       --shell /usr/sbin/nologin mlex \
    && install -d -o mlex -g mlex -m 0750 /var/lib/mlexchange
# Where the services look for collection definitions and config files (docs/configuration.md).
COPY db/ /opt/mlexchange/db/
COPY config/ /opt/mlexchange/config/
ENV MLEX_DB_DIR=/opt/mlexchange/db \
    MLEX_CONFIG_DIR=/opt/mlexchange/config \
    MLEX_COMPUTE_TEMPLATES_DIR=/opt/mlexchange/config/templates \
    MLEX_STATE_DIR=/var/lib/mlexchange \
    MLEX_LOG_FORMAT=json
WORKDIR /var/lib/mlexchange
USER mlex

# One target per process. Inside a container 127.0.0.1 reaches nobody, so each binds 0.0.0.0.
FROM runtime AS web
# The web application's files and Debian's chart library it loads (docs/web.md).
USER root
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libjs-dygraphs \
    && rm -rf /var/lib/apt/lists/*
USER mlex
COPY apps/web/Public/ /opt/mlexchange/web/
COPY --from=build /out/mlex-web /usr/local/bin/
ENV MLEX_WEB_HOST=0.0.0.0 \
    MLEX_WEB_ASSETS=/opt/mlexchange/web
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8000/health || exit 1
CMD ["mlex-web"]

FROM runtime AS users
COPY --from=build /out/mlex-users /usr/local/bin/
ENV MLEX_USERS_HOST=0.0.0.0
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8081/health || exit 1
CMD ["mlex-users"]

FROM runtime AS data
COPY --from=build /out/mlex-data /usr/local/bin/
ENV MLEX_DATA_HOST=0.0.0.0
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8082/health || exit 1
CMD ["mlex-data"]

FROM runtime AS compute
COPY --from=build /out/mlex-compute /usr/local/bin/
ENV MLEX_COMPUTE_HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8080/health || exit 1
CMD ["mlex-compute"]

# The node agent acts as compute (its settings are compute's, its own port is mlex.agent.port).
# It stays root: the local executor makes cgroups and starts bubblewrap, and the Docker executor
# talks to the host's docker socket; the jobs themselves never run as root. python3 is for jobs
# of the local executor, which see this image's /usr; e2fsprogs and util-linux make and mount
# each job's disk (an ext4 image on a loop device).
FROM runtime AS compute-agent
USER root
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       bubblewrap util-linux e2fsprogs python3 \
    && rm -rf /var/lib/apt/lists/*
# The supervisor must sit beside the agent: the agent starts it from its own directory.
COPY --from=build /out/mlex-compute-agent /out/mlex-compute-supervisor /usr/local/bin/
ENV MLEX_COMPUTE_HOST=0.0.0.0
EXPOSE 8090
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8090/health || exit 1
CMD ["mlex-compute-agent"]

FROM runtime AS ingest
COPY --from=build /out/mlex-ingest /usr/local/bin/
ENV MLEX_INGEST_HOST=0.0.0.0
EXPOSE 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8083/health || exit 1
CMD ["mlex-ingest"]

FROM runtime AS mlhub
COPY --from=build /out/mlex-mlhub /usr/local/bin/
ENV MLEX_MLHUB_HOST=0.0.0.0
EXPOSE 8084
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8084/health || exit 1
CMD ["mlex-mlhub"]

FROM runtime AS tag
COPY --from=build /out/mlex-tag /usr/local/bin/
ENV MLEX_TAG_HOST=0.0.0.0
EXPOSE 8085
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8085/health || exit 1
CMD ["mlex-tag"]

# The command-line client (`docker run --rm mlexchange/cli --help`); last, so it is what a plain
# `docker build .` makes: the one image that is not a long-running service.
FROM runtime AS cli
COPY --from=build /out/mlex /usr/local/bin/
ENTRYPOINT ["mlex"]
