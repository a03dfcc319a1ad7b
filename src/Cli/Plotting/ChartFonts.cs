namespace TrainingService.Cli.Plotting;

/// <summary>
/// Registers the DejaVu Sans files that ship beside trainctl as the chart font. SkiaSharp's NoDependencies natives
/// do not use fontconfig, so on a machine without system fonts ScottPlot would otherwise draw no text at all.
/// </summary>
internal static class ChartFonts
{
    public const string Family = "DejaVu Sans";

    private static readonly Lock Gate = new();
    private static bool _registered;

    public static void Register()
    {
        lock (Gate)
        {
            if (_registered)
            {
                return;
            }

            var folder = Path.Combine(AppContext.BaseDirectory, "Fonts");
            ScottPlot.Fonts.AddFontFile(Family, Path.Combine(folder, "DejaVuSans.ttf"), bold: false, italic: false);
            ScottPlot.Fonts.AddFontFile(Family, Path.Combine(folder, "DejaVuSans-Bold.ttf"), bold: true, italic: false);
            ScottPlot.Fonts.Default = Family;
            _registered = true;
        }
    }
}
