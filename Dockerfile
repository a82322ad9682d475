# Assay API image: non-root, migrates the database to head and publishes the question
# bank on start (`assay serve`), then serves.
# The migrations are installed inside the package (app.migrations, see setup.py): the
# image migrates from site-packages, whatever its working directory.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap python3-yaml \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /srv/assay assay
COPY --from=build /install /usr/local
WORKDIR /srv/assay
# For the alembic command (`alembic upgrade head`, `alembic current`) in the container.
COPY --chown=root:root alembic.ini ./
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root question_bank ./question_bank
COPY --chown=root:root scenarios ./scenarios
USER assay
ENV ASSAY_ENV=production \
    ASSAY_QUESTION_BANK=/srv/assay/question_bank \
    ASSAY_SCENARIOS=/srv/assay/scenarios
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["assay", "serve", "--host", "0.0.0.0", "--port", "8000"]
