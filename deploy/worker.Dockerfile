# syntax=docker/dockerfile:1
# The Hangfire worker that trains jobs with TorchSharp on the CPU. Build from the repository root:
#   docker build -f deploy/worker.Dockerfile -t trainingservice-worker .
# Both stages use the Ubuntu 24.04 (noble) images, so the libstdc++ that the build stage checks before
# patching TorchSharp's native wrapper is the one that the runtime stage loads.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
# build/torchsharp-compat/patch-torchsharp.sh runs after publish and needs these where libstdc++ is too old.
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ patchelf binutils \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY protos/ protos/
COPY data/ data/
COPY src/ src/
# The cache mount keeps the NuGet packages, TorchSharp's native libraries among them, between builds.
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Worker/TrainingService.Worker.csproj -c Release -o /app

# The worker hosts no web server, so the base runtime is enough.
FROM mcr.microsoft.com/dotnet/runtime:10.0-noble
WORKDIR /app
# Copied as published, so a patched libLibTorchSharp.so keeps its compat library beside it.
COPY --from=build /app ./
# glibc gives each thread that allocates its own malloc arena; two arenas keep the worker's resident memory
# from creeping up job after job (see docs/benchmarks.md).
ENV MALLOC_ARENA_MAX=2
USER $APP_UID
# The Prometheus endpoint, served only when TRAINING_METRICS_URL is set, such as to http://0.0.0.0:9464.
EXPOSE 9464
ENTRYPOINT ["dotnet", "TrainingService.Worker.dll"]
