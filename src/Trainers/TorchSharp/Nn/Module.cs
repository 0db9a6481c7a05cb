using Parameter = TorchSharp.Modules.Parameter;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Nn;

/// <summary>
/// The lesson's Module: a layer or a model that registers its child modules and parameters by name (what PyTorch
/// does in __setattr__), so that <see cref="Parameters"/> finds every weight. Owns its native tensors.
/// </summary>
public abstract class Module : IDisposable
{
    readonly List<(string Name, Module Module)> _children = [];
    readonly List<(string Name, Parameter Parameter)> _parameters = [];

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    public abstract Tensor Forward(Tensor input);

    protected TModule RegisterModule<TModule>(string name, TModule module) where TModule : Module
    {
        if (_children.Any(c => c.Name == name) || _parameters.Any(p => p.Name == name))
            throw new ArgumentException($"'{name}' is already registered on {GetType().Name}.", nameof(name));
        _children.Add((name, module));
        return module;
    }

    protected Parameter RegisterParameter(string name, Tensor value)
    {
        if (_children.Any(c => c.Name == name) || _parameters.Any(p => p.Name == name))
            throw new ArgumentException($"'{name}' is already registered on {GetType().Name}.", nameof(name));
        var parameter = new Parameter(value, requires_grad: true);
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>This module's and every descendant's parameters, with dotted names ("0.weight").</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters()
    {
        foreach (var (name, parameter) in _parameters)
            yield return (name, parameter);
        foreach (var (childName, child) in _children)
            foreach (var (name, parameter) in child.NamedParameters())
                yield return ($"{childName}.{name}", parameter);
    }

    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    public void Train() => SetMode(true);

    public void Eval() => SetMode(false);

    void SetMode(bool training)
    {
        Training = training;
        foreach (var (_, child) in _children) child.SetMode(training);
    }

    public void Dispose()
    {
        foreach (var (_, child) in _children) child.Dispose();
        foreach (var (_, parameter) in _parameters) parameter.Dispose();
        GC.SuppressFinalize(this);
    }
}
