using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace TrainingService.Persistence;

public static class PersistenceSetup
{
    /// <summary>The name under ConnectionStrings in configuration (the ConnectionStrings__Training environment variable).</summary>
    public const string ConnectionStringName = "Training";

    public static void Configure(DbContextOptionsBuilder options, string connectionString)
    {
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();
    }

    /// <summary>Registers the database context factory and the job store shared by the API and the workers.</summary>
    public static IServiceCollection AddTrainingPersistence(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        services.AddPooledDbContextFactory<TrainingDbContext>(options => Configure(options, connectionString));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<JobStore>();
        services.AddSingleton<ApiKeyStore>();
        return services;
    }

    /// <summary>An API key store outside dependency injection, for the key commands.</summary>
    public static ApiKeyStore CreateApiKeyStore(string connectionString)
    {
        var options = new DbContextOptionsBuilder<TrainingDbContext>();
        Configure(options, connectionString);
        return new ApiKeyStore(new PooledDbContextFactory<TrainingDbContext>(options.Options), TimeProvider.System);
    }

    /// <summary>
    /// Applies pending migrations. EF Core takes a database lock while migrating, so hosts that start together
    /// apply each migration once.
    /// </summary>
    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        var options = new DbContextOptionsBuilder<TrainingDbContext>();
        Configure(options, connectionString);
        await using var db = new TrainingDbContext(options.Options);
        await db.Database.MigrateAsync(cancellationToken);
    }
}
