# jxc in a container: the console built with Node, then a small Python image running as a non-root
# user. `docker compose up` (compose.yaml) runs it with PostgreSQL, the job worker and Caddy.
# docs/deployment.md explains every setting.

FROM node:20-bookworm-slim AS console
WORKDIR /src/console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema.graphql /src/schema.graphql
COPY console/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JXC_HOST=0.0.0.0 \
    JXC_PORT=8000 \
    JXC_ENV=production \
    JXC_CONSOLE_DIR=/app/console/dist \
    JXC_SQLITE_PATH=/data/jxc.sqlite3 \
    JXC_BACKUP_DIR=/data/backups \
    TZ=Asia/Shanghai
# pg_dump / pg_restore for `jxc backup` and `jxc restore` (the same major version as the server)
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin jxc \
    && mkdir -p /data && chown jxc /data
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY server/ server/
COPY schema/ schema/
COPY migrations/ migrations/
COPY scanner_client/ scanner_client/
RUN pip install --no-cache-dir --no-deps . && rm -rf /root/.cache
COPY --from=console /src/console/dist /app/console/dist
USER jxc
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["jxc", "serve"]
