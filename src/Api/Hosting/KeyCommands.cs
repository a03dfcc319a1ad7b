using TrainingService.Persistence;

namespace TrainingService.Api.Hosting;

/// <summary>
/// The "keys" commands of the API binary: create, list and revoke API keys directly in the database, so the
/// first key needs no key to make.
/// </summary>
internal static class KeyCommands
{
    public const string Usage = """
        Usage:
          TrainingService.Api keys create NAME [--admin]
                                                   create a key and print it; it is shown only this once.
                                                   An admin key may also open the Hangfire dashboard.
          TrainingService.Api keys list            list keys: id, prefix, name, created, revoked
          TrainingService.Api keys revoke ID|PREFIX
        """;

    public static async Task<int> RunAsync(string[] args, ApiKeyStore keys, TextWriter output, TextWriter error)
    {
        switch (args)
        {
            case ["keys", "create", var name, ..var flags] when !string.IsNullOrWhiteSpace(name) && name.Length <= 100 && flags is [] or ["--admin"]:
                var (key, record) = await keys.CreateAsync(name, flags is ["--admin"], CancellationToken.None);
                output.WriteLine(key);
                error.WriteLine($"Created API key {record.Id} ({record.Prefix}…) named '{record.Name}'. Store it now: only its hash is kept.");
                return 0;

            case ["keys", "list"]:
                foreach (var entry in await keys.ListAsync(CancellationToken.None))
                {
                    var revoked = entry.RevokedAt is { } at ? $"revoked {at:u}" : "active";
                    var role = entry.IsAdmin ? "admin" : "user";
                    output.WriteLine($"{entry.Id}  {entry.Prefix}…  {entry.Name}  {role}  created {entry.CreatedAt:u}  {revoked}");
                }

                return 0;

            case ["keys", "revoke", var idOrPrefix]:
                if (await keys.RevokeAsync(idOrPrefix, CancellationToken.None))
                {
                    output.WriteLine($"Revoked {idOrPrefix}.");
                    return 0;
                }

                error.WriteLine($"No active key has the id or prefix '{idOrPrefix}'.");
                return 1;

            default:
                error.WriteLine(Usage);
                return 2;
        }
    }
}
