# syntax=docker/dockerfile:1
# Tianyan 校园天眼 — the monitor as a container image.
#
#   docker build -t tianyan:0.1.0 .
#   docker run --rm -p 127.0.0.1:9847:9847 tianyan:0.1.0 demo --listen 0.0.0.0:9847 --dir /tmp/demo
#
# The default command reads /etc/tianyan/config.yml, where the Kubernetes
# ConfigMap is mounted (deploy/kubernetes/). The config must listen on
# 0.0.0.0:9847 inside the container for the port (and the health check) to work.

# --- build: a virtualenv with the package and the PostgreSQL driver ------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what `pip install .` needs (README.md is the package's long description);
# .dockerignore keeps everything else out of the build context.
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY site_map ./site_map

# The same path as the systemd install (deploy/systemd/), so both read alike.
# Every wheel (opencv-python-headless, numpy, lxml, psycopg[binary]) is
# self-contained: no compiler and no system library beyond the base image.
RUN python -m venv /opt/tianyan/.venv \
 && /opt/tianyan/.venv/bin/pip install ".[postgres]"

# --- runtime ---------------------------------------------------------------------------
FROM python:3.11-slim

LABEL org.opencontainers.image.title="tianyan" \
      org.opencontainers.image.description="校园天眼 Tianyan: coverage and health of a campus's video surveillance, as Prometheus metrics and a JSON API" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0"

# tzdata: site maps name the zone of an NVR's clock (`timezone: Asia/Shanghai`),
# and the daily report is dated in local time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tzdata \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid: Kubernetes' runAsNonRoot can only verify a numeric
# USER, and files on volumes keep a stable owner across rebuilds.
RUN groupadd --system --gid 9847 tianyan \
 && useradd --system --no-log-init --uid 9847 --gid tianyan --home-dir /var/lib/tianyan \
        --shell /usr/sbin/nologin tianyan \
 && mkdir -p /etc/tianyan /var/lib/tianyan \
 && chown tianyan:tianyan /var/lib/tianyan

COPY --from=build /opt/tianyan/.venv /opt/tianyan/.venv

ENV PATH=/opt/tianyan/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TZ=Asia/Shanghai

WORKDIR /var/lib/tianyan
USER 9847:9847

EXPOSE 9847

# /-/healthy answers as soon as the HTTP server is up (/-/ready waits for the
# first poll cycle). Python's urllib: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9847/-/healthy', timeout=4)"]

ENTRYPOINT ["tianyan"]
CMD ["run", "/etc/tianyan/config.yml"]
