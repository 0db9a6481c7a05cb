using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MlNetMnist.Trainers.Serving;

/// <summary>Registers a <see cref="PredictionEnginePool{TIn, TOut}"/> in an app's services, as Microsoft.Extensions.ML does.</summary>
public static class PredictionEnginePoolServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton pool for the model zip at <paramref name="modelPath"/>, created (and the model loaded) on first use.
    /// </summary>
    public static IServiceCollection AddPredictionEnginePool<TIn, TOut>(this IServiceCollection services, string modelPath,
        bool watchForChanges = false) where TIn : class where TOut : class, new() =>
        services.AddPredictionEnginePool<TIn, TOut>(options =>
        {
            options.ModelPath = modelPath;
            options.WatchForChanges = watchForChanges;
        });

    /// <summary>Adds a singleton pool configured by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddPredictionEnginePool<TIn, TOut>(this IServiceCollection services,
        Action<PredictionEnginePoolOptions> configure) where TIn : class where TOut : class, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PredictionEnginePoolOptions();
        configure(options);
        services.AddSingleton(provider => new PredictionEnginePool<TIn, TOut>(options,
            provider.GetService<ILogger<PredictionEnginePool<TIn, TOut>>>()));
        return services;
    }
}
