using System.ComponentModel.DataAnnotations;

namespace TrainingService.Api.Auth;

/// <summary>How the API authenticates callers, from the "Auth" configuration section.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>"ApiKey" requires a key on every call but health checks; "None" lets anyone in and every caller sees every job.</summary>
    [Required]
    [RegularExpression("^(ApiKey|None)$", ErrorMessage = "Auth:Mode must be ApiKey or None.")]
    public string Mode { get; set; } = "ApiKey";

    public bool RequireApiKey => Mode == "ApiKey";
}
