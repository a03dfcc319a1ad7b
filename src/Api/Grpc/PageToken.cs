using System.Globalization;
using System.Text;

namespace TrainingService.Api.Grpc;

/// <summary>
/// The opaque next_page_token of ListJobs: the number of jobs already listed, encoded. Jobs submitted while a
/// client pages shift later pages by as many, so a page may repeat a job; none is skipped.
/// </summary>
internal static class PageToken
{
    private const string Prefix = "offset:";

    public static string Format(int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + offset.ToString(CultureInfo.InvariantCulture)));

    public static int Parse(string token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith(Prefix, StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                return offset;
            }
        }
        catch (FormatException)
        {
            // Falls through to the error below.
        }

        throw RpcErrors.InvalidField("page_token", "is not a token this service issued; pass the next_page_token of the previous page");
    }
}
