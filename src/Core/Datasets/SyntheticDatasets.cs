using Training.V1;

namespace TrainingService.Core.Datasets;

/// <summary>Generated datasets for lessons: a line to fit, and two classic non-linear two-class problems.</summary>
public static class SyntheticDatasets
{
    public const int DefaultLinearPoints = 64;
    public const int DefaultPoints = 400;
    public const double DefaultLinearSlope = 2;
    public const double DefaultClassNoise = 0.1;

    public static Dataset Generate(string name, SyntheticOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);

        // A seeded System.Random keeps the same sequence across .NET versions, so a seed always gives the same data.
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        return name switch
        {
            "linear" => Linear(options, random),
            "xor" => Xor(options, random),
            "spirals" => Spirals(options, random),
            _ => throw new ArgumentException($"'{name}' is not a synthetic dataset.", nameof(name)),
        };
    }

    /// <summary>x evenly spaced over [-1, 1] as torch.linspace spaces it, y = slope * x + intercept plus optional noise.</summary>
    private static Dataset Linear(SyntheticOptions options, Random random)
    {
        var points = options.HasPoints ? options.Points : DefaultLinearPoints;
        var slope = options.HasSlope ? options.Slope : DefaultLinearSlope;
        var noise = options.HasNoise ? options.Noise : 0;
        var x = new float[points];
        var y = new float[points];

        for (var i = 0; i < points; i++)
        {
            x[i] = (float)(-1 + 2.0 * i / (points - 1));
            y[i] = (float)(slope * x[i] + options.Intercept + noise * Gaussian(random));
        }

        return Dataset.Regression("linear", x, 1, y, 1);
    }

    /// <summary>Points uniform in the square [-1, 1]^2; class 1 where the two coordinates have different signs.</summary>
    private static Dataset Xor(SyntheticOptions options, Random random)
    {
        var points = options.HasPoints ? options.Points : DefaultPoints;
        var noise = options.HasNoise ? options.Noise : DefaultClassNoise;
        var features = new float[points * 2];
        var labels = new int[points];

        for (var i = 0; i < points; i++)
        {
            var a = random.NextDouble() * 2 - 1;
            var b = random.NextDouble() * 2 - 1;
            labels[i] = (a > 0) != (b > 0) ? 1 : 0;
            features[2 * i] = (float)(a + noise * Gaussian(random));
            features[2 * i + 1] = (float)(b + noise * Gaussian(random));
        }

        return Dataset.Classification("xor", features, 2, labels, 2);
    }

    /// <summary>Two interleaved spirals of one and a half turns each, radius up to 1, alternating by class.</summary>
    private static Dataset Spirals(SyntheticOptions options, Random random)
    {
        var points = options.HasPoints ? options.Points : DefaultPoints;
        var noise = options.HasNoise ? options.Noise : DefaultClassNoise;
        var features = new float[points * 2];
        var labels = new int[points];

        for (var i = 0; i < points; i++)
        {
            var label = i % 2;
            var position = (double)(i / 2) / Math.Max(1, (points + 1) / 2 - 1);
            var angle = position * 3 * Math.PI + label * Math.PI;
            labels[i] = label;
            features[2 * i] = (float)(position * Math.Cos(angle) + noise * Gaussian(random));
            features[2 * i + 1] = (float)(position * Math.Sin(angle) + noise * Gaussian(random));
        }

        return Dataset.Classification("spirals", features, 2, labels, 2);
    }

    /// <summary>A standard normal sample by the Box-Muller transform.</summary>
    private static double Gaussian(Random random)
    {
        var u = 1 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
