# Switchyard: a static, cgo-free binary on a distroless base, running as non-root.
#   docker build -t switchyard --build-arg VERSION=v0.1.0 .
#   docker run -e SLACK_APP_TOKEN -e SLACK_BOT_TOKEN -v $PWD/switchyard.yaml:/config/switchyard.yaml \
#     -v switchyard-data:/data -p 127.0.0.1:9090:9090 switchyard
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/bot ./cmd/bot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bot /bot
# /config holds switchyard.yaml (read-only); /data holds the SQLite store (set store: /data/switchyard.db).
VOLUME ["/config", "/data"]
USER nonroot:nonroot
# /healthz, /readyz and /metrics (bot run -http :9090, below).
EXPOSE 9090
# The image has no shell and no curl: the bot asks itself, in exec form. Not ready (Slack socket down or
# store not answering) for three checks in a row, after a minute's grace to start, marks it unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["/bot", "healthcheck", "-http", "127.0.0.1:9090"]
ENTRYPOINT ["/bot"]
CMD ["run", "-config", "/config/switchyard.yaml", "-http", ":9090"]
