# trigger-bridge daemon image. Build: docker build -t trigger-bridge .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bridge ./bridge
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/trigger-bridge --create-home bridge
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
WORKDIR /var/lib/trigger-bridge
# The journal must outlive the container: mount a volume here (BRIDGE_STATE__PATH points into it).
VOLUME ["/var/lib/trigger-bridge"]
ENV BRIDGE_STATE__PATH=/var/lib/trigger-bridge/bridge-state.db \
    BRIDGE_HTTP__LISTEN=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
ENTRYPOINT ["trigger-bridge"]
CMD ["run", "--config", "/etc/trigger-bridge/bridge.yaml"]
