# runbox API: Node 24 on Alpine with the four toolchains and the sandbox tools.
# Runs privileged (see docker-compose.yml): it creates a Linux user, namespaces and
# cgroups for every run.

FROM node:24-alpine AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
RUN npm ci --no-audit --no-fund
COPY backend backend
RUN npm run build --workspace backend
# the jail launcher, the accounts helper and the syscall filter exporter (C, libseccomp)
RUN apk add --no-cache build-base libseccomp-dev linux-headers
COPY scripts/build-native.sh scripts/
RUN sh scripts/build-native.sh

FROM node:24-alpine
# bubblewrap builds each run's allowlisted root; libseccomp is what seccomp-export links;
# shadow: the login.defs/nologin run users get (runbox-accounts writes the account files
# itself); tini reaps zombies.
# postgresql-client: pg_dump/pg_restore for scripts/backup.ts when DATABASE_URL is set.
# No sudo, on purpose.
RUN apk add --no-cache python3 g++ musl-dev openjdk17-jdk shadow bubblewrap libseccomp tini postgresql-client
# Python packages for the playground (e.g. --build-arg PYTHON_PACKAGES="numpy requests");
# empty by default
ARG PYTHON_PACKAGES=""
RUN if [ -n "$PYTHON_PACKAGES" ]; then \
      apk add --no-cache py3-pip && pip install --no-cache-dir --break-system-packages $PYTHON_PACKAGES; \
    fi
# /api/languages lists them for Python, with their installed versions (docs/languages.md)
ENV RUNBOX_EXTRA_PACKAGES="${PYTHON_PACKAGES:+python:${PYTHON_PACKAGES}}"
WORKDIR /app
COPY package.json package-lock.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
RUN npm ci --omit=dev --no-audit --no-fund --workspace backend && npm cache clean --force
COPY --from=build /app/backend/dist backend/dist
COPY --from=build /app/backend/native/build backend/native/build
# the language entries (docs/languages.md): read at start, one JSON file per language
COPY backend/languages backend/languages
# backup/restore: docker compose exec api node scripts/backup.ts backup
COPY scripts/backup.ts scripts/
# javac's class-data-sharing archive, recorded once at build (roughly halves javac's start)
RUN node backend/dist/prepare-archives.js
# the app is root's alone; runs also see it as an empty directory (RUNBOX_HIDDEN_PATHS)
RUN chown -R root:root /app && chmod -R go-rwx /app

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    RUNBOX_SANDBOX_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/jvm/default-jvm/bin
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD wget -qO- http://127.0.0.1:3000/api/health >/dev/null || exit 1
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["node", "backend/dist/main.js"]
