using System.Globalization;
using System.Text;

namespace TrainingService.Api.Grpc;

/// <summary>
/// The opaque next_page_token of ListJobs: the creation time and id of the last job of the page, encoded. The
/// next page starts after that job, so jobs submitted while a client pages neither repeat nor push jobs out.
/// </summary>
internal static class PageToken
{
    private const string Prefix = "after:";

    public static string Format(DateTime createdAt, Guid id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Prefix}{createdAt.Ticks.ToString(CultureInfo.InvariantCulture)}:{id:N}"));

    public static (DateTime CreatedAt, Guid Id)? Parse(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            if (parts is ["after", var ticks, var id]
                && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                && value is >= 0 and <= 3155378975999999999
                && Guid.TryParseExact(id, "N", out var jobId))
            {
                return (new DateTime(value, DateTimeKind.Utc), jobId);
            }
        }
        catch (FormatException)
        {
            // Falls through to the error below.
        }

        throw RpcErrors.InvalidField("page_token", "is not a token this service issued; pass the next_page_token of the previous page");
    }
}
