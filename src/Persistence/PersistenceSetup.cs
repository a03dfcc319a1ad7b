using Microsoft.EntityFrameworkCore;
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
        return services;
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
