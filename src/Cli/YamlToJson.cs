using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TrainingService.Cli;

/// <summary>
/// Converts a YAML document to JSON text, resolving unquoted scalars with the YAML 1.2 core schema: null, true and
/// false, integers and floats become JSON values of those types, and everything else a string.
/// </summary>
internal static partial class YamlToJson
{
    // A job file has at most a few thousand values. Aliases can make a small file expand without bound (each
    // level of nested aliases multiplies the size), so the conversion stops well before memory runs out.
    private const int MaxValues = 100_000;

    /// <exception cref="YamlException">The text is not valid YAML, or contains more than one document.</exception>
    public static string Convert(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            throw new YamlException(second, second, "a job file must contain exactly one YAML document; remove the second '---' and what follows");
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            if (stream.Documents.Count == 0)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else
            {
                var written = 0;
                Write(writer, stream.Documents[0].RootNode, ref written);
            }
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node, ref int written)
    {
        if (++written > MaxValues)
        {
            throw new YamlException(node.Start, node.End,
                $"the job file expands to more than {MaxValues} values, more than any job spec needs; check for aliases (*name) that repeat large parts");
        }

        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(KeyText(key));
                    Write(writer, value, ref written);
                }

                writer.WriteEndObject();
                break;

            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    Write(writer, item, ref written);
                }

                writer.WriteEndArray();
                break;

            case YamlScalarNode scalar:
                WriteScalar(writer, scalar);
                break;

            default:
                throw new YamlException(node.Start, node.End, $"unsupported YAML node {node.NodeType}, such as an alias");
        }
    }

    private static string KeyText(YamlNode key) =>
        key is YamlScalarNode { Value: { } text }
            ? text
            : throw new YamlException(key.Start, key.End, "a mapping key must be a plain string");

    private static void WriteScalar(Utf8JsonWriter writer, YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
        {
            writer.WriteStringValue(text);
            return;
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            writer.WriteNullValue();
        }
        else if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            writer.WriteBooleanValue(text[0] is 't' or 'T');
        }
        else if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            writer.WriteNumberValue(integer);
        }
        else if (IntegerPattern().IsMatch(text) && ulong.TryParse(text.TrimStart('+'), NumberStyles.None, CultureInfo.InvariantCulture, out var large))
        {
            // A 64-bit seed above long.MaxValue stays exact, which a double would round.
            writer.WriteNumberValue(large);
        }
        else if (FloatPattern().IsMatch(text))
        {
            var number = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(number))
            {
                throw new YamlException(scalar.Start, scalar.End, $"the number {text} is out of range for a 64-bit float");
            }

            writer.WriteNumberValue(number);
        }
        else if (SpecialFloats.TryGetValue(text, out var special))
        {
            // The proto3 JSON mapping spells infinities and NaN as these strings.
            writer.WriteStringValue(special);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    private static readonly Dictionary<string, string> SpecialFloats = new(StringComparer.Ordinal)
    {
        [".inf"] = "Infinity", [".Inf"] = "Infinity", [".INF"] = "Infinity",
        ["+.inf"] = "Infinity", ["+.Inf"] = "Infinity", ["+.INF"] = "Infinity",
        ["-.inf"] = "-Infinity", ["-.Inf"] = "-Infinity", ["-.INF"] = "-Infinity",
        [".nan"] = "NaN", [".NaN"] = "NaN", [".NAN"] = "NaN",
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
