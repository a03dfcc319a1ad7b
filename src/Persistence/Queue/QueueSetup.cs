using Hangfire;
using Hangfire.PostgreSql;

namespace TrainingService.Persistence.Queue;

/// <summary>Hangfire's PostgreSQL storage as the API and the workers share it.</summary>
public static class QueueSetup
{
    /// <summary>The Hangfire queue that training jobs go through.</summary>
    public const string TrainingQueue = "training";

    /// <summary>How long a fetched job stays hidden from other workers without its worker's heartbeat, unless configured.</summary>
    public static readonly TimeSpan DefaultInvisibilityTimeout = TimeSpan.FromMinutes(2);

    /// <param name="invisibilityTimeout">
    /// How long after its worker's last heartbeat a running job is handed to another worker. Shorter means a
    /// dead worker's job resumes sooner; it must stay well above a heartbeat's worst delay.
    /// </param>
    public static IGlobalConfiguration UseTrainingQueue(this IGlobalConfiguration configuration, string connectionString, TimeSpan? invisibilityTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,

            // Hangfire.PostgreSql 1.21.1 polls the queue every 15 s by default. Long polling makes a fetching
            // worker wait on LISTEN/NOTIFY instead, so a new job wakes it at once; the poll stays as a fallback.
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(5),

            // A fetched job stays invisible to other workers while its worker's heartbeat slides the timeout
            // on. When a worker dies the heartbeat stops, and after this long another worker takes the job.
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = invisibilityTimeout ?? DefaultInvisibilityTimeout,
        };

        return configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(bootstrap => bootstrap.UseNpgsqlConnection(connectionString), options);
    }
}
