using System.Reflection;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;

namespace MlNetMnist.Trainers;

/// <summary>
/// The engines by the names they store in model zips: the managed engine, and the engines of the add-on packages an
/// app takes. An add-on engine is found by its type's name, so the core needs no reference to the add-on.
/// </summary>
public static class MlpEngines
{
    /// <summary>Add-on engines: name, assembly-qualified type (with a static Instance), and the package that brings it.</summary>
    static readonly (string Name, string Type, string Package)[] AddOns =
    [
        ("Autograd", "MlNetMnist.Trainers.Engines.Autograd.AutogradEngine, MlNetMnist.Trainers.TorchSharp", "MlNetMnist.Trainers.TorchSharp"),
    ];

    static readonly Lazy<IReadOnlyList<MlpEngine>> _available = new(() =>
        [ManagedEngine.Instance, .. AddOns.Select(a => Load(a.Type)).OfType<MlpEngine>()]);

    /// <summary>The managed engine and every add-on engine whose package this app takes.</summary>
    public static IReadOnlyList<MlpEngine> Available => _available.Value;

    /// <summary>The engine called <paramref name="name"/> (any case).</summary>
    /// <exception cref="ArgumentException">No such engine here; says which package brings it when it is an add-on's.</exception>
    public static MlpEngine Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Available.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } engine) return engine;
        if (AddOns.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { Package: { } package })
            throw new ArgumentException($"The {name} engine comes with the {package} package, which this app does not reference.", nameof(name));
        throw new ArgumentException($"There is no engine called '{name}'; engines here: {string.Join(", ", Available.Select(e => e.Name))}.", nameof(name));
    }

    static MlpEngine? Load(string typeName)
    {
        try
        {
            return Type.GetType(typeName, throwOnError: false)?.GetProperty("Instance", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as MlpEngine;
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException or TargetInvocationException)
        {
            return null; // the add-on's assembly is there but cannot load: as if absent
        }
    }
}
