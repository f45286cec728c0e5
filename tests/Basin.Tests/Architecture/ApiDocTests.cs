using System.Reflection;
using System.Text;
using System.Xml.Linq;
using Xunit;

namespace Basin.Tests.Architecture;

/// <summary>docs/api.md lists every public type of the library by folder with its summary, then each type's public members with their signatures and summaries, as the assembly has them.</summary>
public class ApiDocTests
{
    /// <summary>The page as the assembly and its XML documentation describe it.</summary>
    private static string Page()
    {
        var assembly = typeof(Basin.Metrics.MetricRegistry).Assembly;
        var docs = XDocument.Load(Path.ChangeExtension(assembly.Location, ".xml")).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => m.Element("summary") is { } s ? string.Join(" ", string.Concat(s.Nodes().Select(Text)).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : "");
        var md = new StringBuilder("# Public API of the Basin library, by folder\n\n");
        md.Append("Generated from the assembly and its XML documentation; `tests/Basin.Tests/Architecture/ApiDocTests.cs` fails when this page\n");
        md.Append("falls behind the code (`BASIN_WRITE_API_DOC=1 dotnet test --filter ApiDocTests` rewrites it). Namespaces mirror the folders of `src/Basin/`.\n");
        foreach (var group in assembly.GetExportedTypes().GroupBy(t => t.Namespace ?? "Basin").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            md.Append($"\n## `{group.Key}`\n\n| type | what it is |\n| --- | --- |\n");
            foreach (var type in group.OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                string name = (type.FullName ?? type.Name).Replace('+', '.');
                string shortName = name[(group.Key.Length + 1)..];
                string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.GetMethod("<Clone>$") is not null ? "record" : type.IsAbstract && type.IsSealed ? "static class" : "class";
                md.Append($"| [`{Generic(shortName)}`](#{Anchor(name)}) ({kind}) | {Generic(docs.GetValueOrDefault("T:" + name, "")).Replace("|", "\\|")} |\n");
            }
            foreach (var type in group.OrderBy(t => t.FullName, StringComparer.Ordinal))
            {
                string name = (type.FullName ?? type.Name).Replace('+', '.');
                var members = Members(type, name, docs).ToList();
                md.Append($"\n### `{Generic(name)}`\n\n");
                var bases = new[] { type.BaseType }.Concat(type.GetInterfaces().Except(type.BaseType?.GetInterfaces() ?? []))
                    .Where(b => b is not null && b.Assembly == assembly && b.IsPublic).Select(b => (b!.FullName ?? b.Name).Replace('+', '.')).ToList();
                if (bases.Count > 0) md.Append($"Has the members of {string.Join(", ", bases.Select(b => $"[`{Generic(b)}`](#{Anchor(b)})"))}.\n\n");
                if (members.Count == 0) md.Append("No public members of its own.\n");
                foreach (var (signature, summary) in members) md.Append($"- `{signature}`{(summary.Length > 0 ? " — " + summary : "")}\n");
            }
        }
        return md.ToString();
    }

    /// <summary>The GitHub anchor of a heading <c>### `Name`</c>.</summary>
    private static string Anchor(string name) => System.Text.RegularExpressions.Regex.Replace(Generic(name).ToLowerInvariant(), "[^a-z0-9 _-]", "");

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>A type's public members declared on it (compiler-made record members left out), each as a C# signature with its summary.</summary>
    private static IEnumerable<(string Signature, string Summary)> Members(Type type, string name, Dictionary<string, string> docs)
    {
        string Doc(string prefix, string member, int? parameters = null) =>
            Generic(docs.Where(d => d.Key == $"{prefix}:{name}.{member}" || d.Key.StartsWith($"{prefix}:{name}.{member}(", StringComparison.Ordinal) && (parameters is null || Arity(d.Key) == parameters))
                .Select(d => d.Value).FirstOrDefault() ?? "");
        if (type.IsEnum)
        {
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
                yield return (field.Name, Doc("F", field.Name));
            yield break;
        }
        foreach (var c in type.GetConstructors(Declared).Where(c => !IsRecordCopy(type, c.GetParameters())))
            yield return ($"new {ShortName(type)}({Parameters(c.GetParameters())})", Doc("M", "#ctor", c.GetParameters().Length));
        foreach (var p in type.GetProperties(Declared).Where(p => p.Name != "EqualityContract").OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            string access = p.GetMethod?.IsStatic == true ? "static " : "";
            string accessors = (p.GetMethod?.IsPublic == true ? "get; " : "") + (p.SetMethod?.IsPublic == true ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") ? "init; " : "set; ") : "");
            var index = p.GetIndexParameters();
            yield return ($"{access}{TypeName(p.PropertyType)} {(index.Length > 0 ? $"this[{Parameters(index)}]" : p.Name)} {{ {accessors}}}", Doc("P", p.Name));
        }
        foreach (var f in type.GetFields(Declared).OrderBy(f => f.Name, StringComparer.Ordinal))
            yield return ($"{(f.IsLiteral ? "const " : f.IsStatic ? "static readonly " : f.IsInitOnly ? "readonly " : "")}{TypeName(f.FieldType)} {f.Name}", Doc("F", f.Name));
        foreach (var m in type.GetMethods(Declared).Where(m => !m.IsSpecialName && !Generated.Contains(m.Name)).OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.GetParameters().Length))
        {
            string generic = m.IsGenericMethod ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";
            yield return ($"{(m.IsStatic ? "static " : "")}{TypeName(m.ReturnType)} {m.Name}{generic}({Parameters(m.GetParameters())})", Doc("M", m.Name, m.GetParameters().Length));
        }
    }

    private static readonly HashSet<string> Generated = ["<Clone>$", "Deconstruct", "Equals", "GetHashCode", "ToString", "PrintMembers"];

    private static bool IsRecordCopy(Type type, ParameterInfo[] parameters) => parameters.Length == 1 && parameters[0].ParameterType == type && type.GetMethod("<Clone>$") is not null;

    private static int Arity(string docId)
    {
        int open = docId.IndexOf('(');
        if (open < 0) return 0;
        int depth = 0, count = 1;
        foreach (char ch in docId[(open + 1)..^1])
        {
            if (ch is '{' or '[' or '(') depth++;
            else if (ch is '}' or ']' or ')') depth--;
            else if (ch == ',' && depth == 0) count++;
        }
        return count;
    }

    private static string Parameters(ParameterInfo[] parameters) => string.Join(", ", parameters.Select(p =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{(p.GetCustomAttribute<ParamArrayAttribute>() is not null ? "params " : "")}{TypeName(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + Default(p.DefaultValue) : "")}"));

    private static string Default(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static string ShortName(Type type) => type.IsGenericType ? type.Name[..type.Name.IndexOf('`')] : type.Name;

    /// <summary>A type as C# writes it: keywords, T?, arrays, tuples, generics by their short names.</summary>
    private static string TypeName(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner) return TypeName(inner) + "?";
        if (type.IsArray) return TypeName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsGenericParameter) return type.Name;
        if (type.IsGenericType && type.FullName?.StartsWith("System.ValueTuple", StringComparison.Ordinal) == true)
            return "(" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ")";
        if (type.IsGenericType) return ShortName(type) + "<" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ">";
        return type.FullName switch
        {
            "System.Void" => "void", "System.Int32" => "int", "System.Int64" => "long", "System.Double" => "double", "System.Single" => "float",
            "System.Boolean" => "bool", "System.String" => "string", "System.Object" => "object", "System.Byte" => "byte",
            _ => (type.DeclaringType is { } outer && !type.IsGenericParameter ? ShortName(outer) + "." : "") + type.Name,
        };
    }

    /// <summary><c>Name`1</c> as <c>Name&lt;T&gt;</c>.</summary>
    private static string Generic(string text) => System.Text.RegularExpressions.Regex.Replace(text, "`1", "<T>");

    private static string Text(XNode node) => node switch
    {
        XText t => t.Value,
        XElement { Name.LocalName: "see" or "seealso" } e => "`" + ((string?)e.Attribute("cref") ?? (string?)e.Attribute("langword") ?? "").Split(':').Last().Split('.').Last().Split('(')[0] + "`",
        XElement { Name.LocalName: "paramref" or "typeparamref" } e => "`" + (string?)e.Attribute("name") + "`",
        XElement { Name.LocalName: "c" } e => "`" + e.Value + "`",
        XElement e => string.Concat(e.Nodes().Select(Text)),
        _ => "",
    };

    [Fact]
    public void TheApiPageListsEveryPublicType()
    {
        string path = Path.Combine(Repository.Root(), "docs", "api.md");
        string page = Page();
        if (Environment.GetEnvironmentVariable("BASIN_WRITE_API_DOC") == "1") File.WriteAllText(path, page);
        Assert.True(File.Exists(path) && File.ReadAllText(path) == page,
            "docs/api.md differs from the public API: rewrite it with BASIN_WRITE_API_DOC=1 dotnet test --filter ApiDocTests");
    }
}
