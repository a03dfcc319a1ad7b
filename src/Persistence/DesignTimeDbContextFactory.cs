using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace TrainingService.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the model without a running host or database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<TrainingDbContext>
{
    public TrainingDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TrainingDbContext>();
        PersistenceSetup.Configure(options, "Host=localhost;Database=training");
        return new TrainingDbContext(options.Options);
    }
}
