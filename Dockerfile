# syntax=docker/dockerfile:1
# Build: the Swift 6 toolchain on Debian 12 (bookworm), with the C libraries' headers.
FROM swift:6.0-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmongoc-dev libbson-dev libvips-dev libcurl4-openssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product enricher --static-swift-stdlib \
 && install -D "$(swift build -c release --show-bin-path)/enricher" /out/enricher

# Run: slim Debian 12 with only the runtime libraries.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmongoc-1.0-0 libbson-1.0-0 libvips42 libcurl4 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home enricher
COPY --from=build /out/enricher /usr/local/bin/enricher
USER enricher
ENV ENRICHER_HOST=0.0.0.0 ENRICHER_PORT=8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/enricher"]
CMD ["serve"]
