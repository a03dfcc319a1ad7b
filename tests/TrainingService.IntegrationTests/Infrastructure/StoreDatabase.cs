using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrainingService.Persistence;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh, migrated database with a <see cref="JobStore"/> wired as the hosts wire it, with the pooled
/// context factory from AddTrainingPersistence and the system clock. Dropped on dispose.
/// </summary>
public sealed class StoreDatabase : IAsyncDisposable
{
    private readonly TestDatabase _database;
    private readonly ServiceProvider _services;

    private StoreDatabase(TestDatabase database, ServiceProvider services)
    {
        _database = database;
        _services = services;
        Store = services.GetRequiredService<JobStore>();
    }

    public JobStore Store { get; }

    public string ConnectionString => _database.ConnectionString;

    public static async Task<StoreDatabase> CreateAsync()
    {
        var database = await TestDatabase.CreateAsync();

        try
        {
            await PersistenceSetup.MigrateAsync(database.ConnectionString, CancellationToken.None);
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }

        var services = new ServiceCollection().AddTrainingPersistence(database.ConnectionString).BuildServiceProvider();
        return new StoreDatabase(database, services);
    }

    /// <summary>Creates a context for reading rows that the store has no method for. The caller disposes it.</summary>
    public TrainingDbContext CreateDbContext() =>
        _services.GetRequiredService<IDbContextFactory<TrainingDbContext>>().CreateDbContext();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>One <see cref="StoreDatabase"/> shared by the tests of a class.</summary>
public sealed class StoreFixture : IAsyncLifetime
{
    public StoreDatabase Database { get; private set; } = null!;

    public async Task InitializeAsync() => Database = await StoreDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}
