using Hangfire;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using TrainingService.Api;
using TrainingService.Api.Auth;
using TrainingService.Api.Grpc;
using TrainingService.Api.Hosting;
using TrainingService.Api.Queueing;
using TrainingService.Api.Telemetry;
using TrainingService.Persistence;
using TrainingService.Persistence.Queue;

// Settings files sit beside the binaries, whatever folder the API is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var connectionString = builder.Configuration.GetConnectionString(PersistenceSetup.ConnectionStringName);
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("The API needs a PostgreSQL connection string: set ConnectionStrings__Training, " +
        "for example 'Host=127.0.0.1;Port=5432;Username=postgres;Database=training'.");
    return 2;
}

if (args.Contains("--migrate"))
{
    await PersistenceSetup.MigrateAsync(connectionString, CancellationToken.None);
    Console.WriteLine("Database migrations applied.");
    return 0;
}

if (args.FirstOrDefault() == "keys")
{
    await PersistenceSetup.MigrateAsync(connectionString, CancellationToken.None);
    return await KeyCommands.RunAsync(args, PersistenceSetup.CreateApiKeyStore(connectionString), Console.Out, Console.Error);
}

var grpcUrl = builder.Configuration["TRAINING_GRPC_URL"] ?? "http://127.0.0.1:5080";
var httpUrl = builder.Configuration["TRAINING_HTTP_URL"] ?? "http://127.0.0.1:5081";
var certificate = ListenAddress.LoadCertificate(builder.Configuration);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // gRPC needs HTTP/2, and over plain http Kestrel can only offer it on an HTTP/2-only endpoint, so health
    // checks and the Hangfire dashboard get an HTTP/1.1 endpoint of their own.
    ListenAddress.Listen(kestrel, "TRAINING_GRPC_URL", grpcUrl, HttpProtocols.Http2, certificate);
    ListenAddress.Listen(kestrel, "TRAINING_HTTP_URL", httpUrl, HttpProtocols.Http1, certificate);
});

builder.Services.AddOptions<AuthOptions>()
    .Bind(builder.Configuration.GetSection(AuthOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddOptions<LimitsOptions>()
    .Bind(builder.Configuration.GetSection(LimitsOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton(services => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value.ToJobLimits());
builder.Services.AddSingleton<ApiKeyAuthenticator>();
builder.Services.AddSingleton<DashboardAuthorization>();
builder.Services.AddGrpc(grpc =>
{
    grpc.MaxReceiveMessageSize = 4 * 1024 * 1024;
    grpc.MaxSendMessageSize = 4 * 1024 * 1024;
    grpc.Interceptors.Add<DatabaseUnavailableInterceptor>();
    grpc.Interceptors.Add<ApiKeyInterceptor>();
});
// Health is checked when asked, not from a cache that a background publisher fills every 30 s.
builder.Services.AddGrpcHealthChecks(health => health.UseHealthChecksCache = false);
builder.Services.AddGrpcReflection();
builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("postgresql");
builder.Services.AddTrainingPersistence(connectionString);
builder.Services.AddSingleton<JobEventStreamer>();
builder.Services.AddSingleton<ModelRequests>();
builder.Services.AddSingleton<JobQueue>();
builder.Services.AddOptions<SweeperOptions>()
    .Bind(builder.Configuration.GetSection(SweeperOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddHostedService<UnqueuedJobSweeper>();
builder.Services.AddSingleton<JobDisplayNames>();
builder.AddApiTelemetry();
builder.Services.AddHangfire((services, configuration) => configuration
    .UseTrainingQueue(connectionString)
    .UseFilter(services.GetRequiredService<TraceContextClientFilter>()));

var app = builder.Build();
try
{
    // Read here so that an invalid setting stops the API with its message instead of a stack trace.
    _ = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value;
    _ = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value;
    _ = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SweeperOptions>>().Value;
}
catch (Microsoft.Extensions.Options.OptionsValidationException invalid)
{
    Console.Error.WriteLine($"The API's settings are invalid: {string.Join(" ", invalid.Failures)}");
    return 2;
}

if (builder.Configuration.GetValue("Api:ApplyMigrations", true))
{
    await PersistenceSetup.MigrateAsync(connectionString, CancellationToken.None);
    app.Logger.Migrated();
}

app.UseMiddleware<MalformedRequestMiddleware>();
app.MapGrpcService<TrainingGrpcService>();
app.MapGrpcHealthChecksService();
app.MapGrpcReflectionService();
app.MapHealthChecks("/healthz");
app.MapApiTelemetry();
app.MapHangfireDashboard("/hangfire", new DashboardOptions
{
    IsReadOnlyFunc = _ => true,
    AsyncAuthorization = [app.Services.GetRequiredService<DashboardAuthorization>()],
    DisplayStorageConnectionString = false,
    DisplayNameFunc = app.Services.GetRequiredService<JobDisplayNames>().Format,
});

app.Logger.Listening(grpcUrl, httpUrl);
await app.RunAsync();
return 0;
