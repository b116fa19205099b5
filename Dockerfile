# Builds the `haven` binary and ships it on a slim Debian with libpq and libcrypto.
# docker compose up brings it up beside PostgreSQL 15 (see docker-compose.yml).
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libssl-dev libqrencode-dev pkgconf \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Plugins ./Plugins
COPY Tests ./Tests
COPY sql ./sql
# docs/openapi.yaml is compiled into the binary (served at /openapi.yaml).
COPY docs/openapi.yaml ./docs/openapi.yaml
RUN swift build -c release --product haven --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/haven" /haven

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libssl3 libqrencode4 libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /nonexistent haven
COPY --from=build /haven /usr/local/bin/haven
USER haven
ENTRYPOINT ["/usr/local/bin/haven"]
CMD ["db", "status"]
