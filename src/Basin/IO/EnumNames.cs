using System.Reflection;
using System.Text.Json.Serialization;

namespace Basin.IO;

/// <summary>
/// The names of an enum's values as its JSON form writes them (<see cref="JsonStringEnumMemberNameAttribute"/>,
/// else the member name): one table per enum for JSON, the command line and reports, so the three cannot drift.
/// </summary>
public static class EnumNames
{
    /// <summary>The name of <paramref name="value"/>.</summary>
    public static string Name<T>(T value) where T : struct, Enum => Table<T>.Names.First(n => n.Value.Equals(value)).Name;

    /// <summary>Every name, in declaration order (for help and shell completion).</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => [.. Table<T>.Names.Select(n => n.Name)];

    /// <summary>The value named <paramref name="name"/>.</summary>
    /// <exception cref="FormatException">Unknown name: "unknown <paramref name="what"/> 'x': use a, b, c".</exception>
    public static T Parse<T>(string name, string what) where T : struct, Enum =>
        Table<T>.Names.FirstOrDefault(n => n.Name == name) is { Name: not null } found ? found.Value
            : throw new FormatException($"unknown {what} '{name}': use {string.Join(", ", Table<T>.Names.Select(n => n.Name))}");

    private static class Table<T> where T : struct, Enum
    {
        public static readonly (T Value, string Name)[] Names = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => ((T)f.GetValue(null)!, f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name)).ToArray();
    }
}
