using Npgsql;

namespace TrainingService.Persistence;

public static class DatabaseErrors
{
    /// <summary>
    /// Whether an error means PostgreSQL could not be reached or is shutting down or starting (SQL states
    /// 57P01 to 57P03), not that the statement was wrong, so the same call may work once the database is back.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient || postgres.SqlState is "57P01" or "57P02" or "57P03",
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
