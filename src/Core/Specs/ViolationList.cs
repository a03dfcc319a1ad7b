namespace TrainingService.Core.Specs;

/// <summary>Collects field violations, with the range checks that most spec fields share.</summary>
internal sealed class ViolationList : List<FieldViolation>
{
    public void Add(string field, string description) => Add(new FieldViolation(field, description));

    /// <summary>Checks min &lt;= value &lt;= max (or &lt; max when <paramref name="maxExclusive"/>), and that the value is finite.</summary>
    public bool InRange(double value, string field, double min, double max, bool maxExclusive = false, bool minExclusive = false)
    {
        var aboveMin = minExclusive ? value > min : value >= min;
        var belowMax = maxExclusive ? value < max : value <= max;
        if (double.IsFinite(value) && aboveMin && belowMax)
        {
            return true;
        }

        var low = minExclusive ? $"above {min}" : $"at least {min}";
        var high = maxExclusive ? $"below {max}" : $"at most {max}";
        Add(field, $"is {value}; it must be {low} and {high}");
        return false;
    }

    public bool InRange(long value, string field, long min, long max)
    {
        if (value >= min && value <= max)
        {
            return true;
        }

        Add(field, $"is {value}; it must be from {min} to {max}");
        return false;
    }

    public bool KnownEnum<TEnum>(TEnum value, string field, string what)
        where TEnum : struct, Enum
    {
        if (Enum.IsDefined(value))
        {
            return true;
        }

        Add(field, $"{Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)} is not a known {what}");
        return false;
    }
}
