# One image for every service role (api, worker, migrate); the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DSRS_STORAGE_DIR=/data

WORKDIR /app

# Dependencies first so that code changes reuse the cached layer.
COPY pyproject.toml README.md ./
COPY dsrs_core/ dsrs_core/
COPY models/ models/
COPY settings/ settings/
COPY store/ store/
COPY api/ api/
COPY worker/ worker/
COPY cli/ cli/
COPY client/ client/
COPY alembic/ alembic/
COPY alembic.ini ./
# the proof extra: proof mode (check "proven", docs/math.md §7.5) runs in the same image
RUN pip install ./client ".[proof]"

RUN useradd --create-home --uid 1000 dsrs && mkdir -p /data && chown dsrs /data
USER dsrs
VOLUME ["/data"]
EXPOSE 8000

ENTRYPOINT ["dsrs"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
