# syntax=docker/dockerfile:1
# The gRPC API with the Hangfire dashboard and the Prometheus endpoint. Build from the repository root:
#   docker build -f deploy/api.Dockerfile -t trainingservice-api .
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
    dotnet publish src/Api/TrainingService.Api.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
WORKDIR /app
# Copied as published, so a patched libLibTorchSharp.so keeps its compat library beside it.
COPY --from=build /app ./
USER $APP_UID
EXPOSE 5080 5081
ENTRYPOINT ["dotnet", "TrainingService.Api.dll"]
