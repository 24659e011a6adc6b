// The public save/load API: picks the format from the path (or the file's content), writes
// atomically, and checks the reference sample on request.
#include "glia/saving.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "formats/config.hpp"
#include "formats/keras_archive.hpp"
#include "formats/model_lookup.hpp"
#include "formats/read_file.hpp"
#include "formats/weights.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/version.hpp"

namespace glia {

namespace fs = std::filesystem;
using formats::is_file;
using formats::json;
using formats::lower_extension;
using formats::others_weights;
using formats::Where;

namespace {

// A weights file in either layout: Keras 3's (layers/<name>/vars), a full tf.keras model's
// model_weights group, or tf.keras 2.x's save_weights (layer_names at the root).
std::vector<std::string> read_any_layout(Model& model, const formats::h5::Group& root,
                                         const LoadWeightsOptions& options) {
  if (root.has_group("layers") && !root.has_attr("layer_names")) {
    auto skipped = formats::read_keras3_weights(model, root, options);
    // As Keras' load_weights: the optimizer's state too, when it has been built.
    if (model.compiled() && model.optimizer().slots_built())
      formats::read_keras3_optimizer(model, root);
    return skipped;
  }
  if (!root.has_attr("layer_names") && root.has_group("model_weights"))
    return formats::read_legacy_weights(model, root.group("model_weights"), options);
  return formats::read_legacy_weights(model, root, options);
}

// A .keras archive's bytes, bounded by what its weights and config may hold.
std::string archive_bytes(const std::string& path, const LoadLimits& limits) {
  return formats::read_file(
      path, limits.max_parameters * 4 * 3 + limits.max_config_bytes + (int64_t{64} << 20));
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The config a weights file belongs to: STEM.json for STEM.h5 and for STEM.weights.h5.
std::string config_path_for(const std::string& weights) {
  std::string base = fs::path(weights).replace_extension("").string();
  if (ends_with(base, ".weights")) base.resize(base.size() - 8);
  return base + ".json";
}

std::string config_beside(const std::string& weights) {
  return fs::path(config_path_for(weights)).filename().string() + " beside it";
}

std::optional<ReferenceSample> make_reference(Model& model, const SaveOptions& options) {
  if (!options.reference_input) return std::nullopt;
  const Tensor& x = *options.reference_input;
  Shape want = model.input_shape();
  if (x.rank() != static_cast<int>(want.size()) + 1 ||
      Shape(x.shape().begin() + 1, x.shape().end()) != want)
    throw Error("reference input has shape " + shape_str(x.shape()) + ", expected " +
                shape_str(want, true));
  const int64_t rows = std::min<int64_t>(x.dim(0), 8);
  Shape s = x.shape();
  s[0] = rows;
  Tensor in(s);
  std::copy(x.data(), x.data() + in.size(), in.data());
  ReferenceSample r;
  r.input = in;
  r.output = model.predict(in, rows).clone();
  return r;
}

void write_full_h5(Model& model, const std::string& path, const SaveOptions& options,
                   const std::optional<ReferenceSample>& reference) {
  formats::h5::File f = formats::h5::File::create(path);
  {
    formats::h5::Group root = f.root();
    root.set_attr("keras_version", "2.15.0");
    root.set_attr("backend", "tensorflow");
    root.set_attr("glia_version", version());
    root.set_attr("model_config", formats::model_config(model, ConfigStyle::keras2).dump());
    if (model.compiled())
      root.set_attr("training_config", formats::compile_config(model, ConfigStyle::keras2).dump());
    formats::write_legacy_weights(model, root.create_group("model_weights"));
    if (options.include_optimizer && model.compiled()) formats::write_legacy_optimizer(model, root);
    if (reference) formats::write_reference(root, *reference);
  }
  f.close();
}

void write_weights_h5(Model& model, const std::string& path, bool keras3,
                      const std::optional<ReferenceSample>& reference) {
  formats::h5::File f = formats::h5::File::create(path);
  {
    formats::h5::Group root = f.root();
    if (keras3)
      formats::write_keras3_weights(model, root, false);
    else
      formats::write_legacy_weights(model, root);
    if (reference) formats::write_reference(root, *reference);
  }
  f.close();
}

std::string date_saved() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

void write_keras_archive(Model& model, const std::string& path, const SaveOptions& options,
                         const std::optional<ReferenceSample>& reference) {
  json meta;
  meta["keras_version"] = "3.15.1";
  meta["date_saved"] = date_saved();
  meta["glia_version"] = version();
  const std::string metadata = meta.dump();
  const std::string config = formats::model_config(model, ConfigStyle::keras3).dump();
  std::string weights;
  {
    formats::h5::File f = formats::h5::File::create_in_memory(path + ":model.weights.h5");
    {
      formats::h5::Group root = f.root();
      formats::write_keras3_weights(model, root, options.include_optimizer);
      if (reference) formats::write_reference(root, *reference);
    }
    weights = f.image();
  }
  formats::write_archive(
      path, {{"metadata.json", metadata}, {"config.json", config}, {"model.weights.h5", weights}});
}

/// Reads the reference sample (when present) and checks it when asked.
void finish_load(LoadedModel& out, const formats::h5::Group* root, const LoadOptions& options,
                 const std::string& name) {
  if (root) out.reference = formats::read_reference(*root, *out.model);
  if (!options.verify) return;
  if (!out.reference)
    throw Error(name +
                ": --verify needs a reference sample, and this file has none (files "
                "saved by Glia carry one)");
  const double diff = reference_difference(*out.model, *out.reference);
  if (!(diff <= options.verify_tolerance))
    throw Error(name + ": verification failed: outputs differ from the stored reference by up to " +
                std::to_string(diff) + " (tolerance " + std::to_string(options.verify_tolerance) +
                "); the file does not load as it was saved");
  out.verified = true;
}

void apply_compile(LoadedModel& out, const json* config, const LoadOptions& options,
                   const Where& where) {
  if (!options.compile || !config || config->is_null()) return;
  // Keras writes {} for a model that was never compiled.
  if (config->is_object() && config->empty()) return;
  formats::apply_compile_config(*out.model, *config, where);
  out.compiled = true;
}

/// `sibling_json` set: the model's config (a full-model .h5 then gives only its model_weights);
/// `json_first` says the config was what the user named, so its architecture wins.
LoadedModel load_h5(const formats::h5::File& f, const std::string& name, const LoadOptions& options,
                    const std::string& sibling_json, bool json_first = false) {
  formats::h5::Group root = f.root();
  LoadedModel out;
  out.weights_path = name;
  if (root.has_attr("model_config") && !json_first) {
    out.format = ModelFormat::full_h5;
    const Where where{name + ": model_config"};
    json config = formats::parse_json(root.attr("model_config", options.limits.max_config_bytes),
                                      where, options.limits.max_config_bytes);
    out.model = formats::model_from_config(config, where, std::nullopt, options.limits);
    formats::read_legacy_weights(*out.model, root.group("model_weights"));
    out.has_weights = true;
    if (options.compile && root.has_attr("training_config")) {
      const Where tw{name + ": training_config"};
      json tc = formats::parse_json(root.attr("training_config", options.limits.max_config_bytes),
                                    tw, options.limits.max_config_bytes);
      apply_compile(out, &tc, options, tw);
      out.has_optimizer_state =
          formats::read_legacy_optimizer(*out.model, root, &out.optimizer_state_skipped);
    }
    finish_load(out, &root, options, name);
    return out;
  }
  if (sibling_json.empty())
    throw Error(name +
                ": holds weights only (no model_config); expected the model.json written "
                "with it (" +
                config_beside(name) + ")");
  out.format = ModelFormat::json_pair;
  const Where where{sibling_json};
  json config =
      formats::parse_json(formats::read_file(sibling_json, options.limits.max_config_bytes), where,
                          options.limits.max_config_bytes);
  out.model = formats::model_from_config(config, where, std::nullopt, options.limits);
  read_any_layout(*out.model, root, {});
  out.has_weights = true;
  apply_compile(out, formats::find(config, "compile_config"), options, where.at("compile_config"));
  finish_load(out, &root, options, name);
  return out;
}

LoadedModel load_archive(std::string_view bytes, const std::string& name,
                         const LoadOptions& options) {
  formats::ArchiveContents a = formats::read_archive(bytes, name, options.limits);
  const Where where{name + ": config.json"};
  json config = formats::parse_json(a.config, where, options.limits.max_config_bytes);
  LoadedModel out;
  out.format = ModelFormat::keras_archive;
  out.model = formats::model_from_config(config, where, std::nullopt, options.limits);
  apply_compile(out, formats::find(config, "compile_config"), options, where.at("compile_config"));
  if (a.weights.empty()) throw Error(name + ": the archive has no model.weights.h5");
  formats::h5::File f =
      formats::h5::File::open_image(a.weights.data(), a.weights.size(), name + ":model.weights.h5");
  formats::h5::Group root = f.root();
  formats::read_keras3_weights(*out.model, root);
  out.has_weights = true;
  out.weights_path = name;
  if (out.compiled)
    out.has_optimizer_state =
        formats::read_keras3_optimizer(*out.model, root, &out.optimizer_state_skipped);
  finish_load(out, &root, options, name);
  return out;
}

Error no_weights(const std::string& name, const std::vector<std::string>& looked_for,
                 const std::string& note = "") {
  std::string msg = name + ": a model config with no weights";
  if (!looked_for.empty()) {
    msg += " (looked for ";
    for (size_t i = 0; i < looked_for.size(); ++i)
      msg += (i ? ", " : "") + fs::path(looked_for[i]).filename().string();
    msg += " beside it" + (note.empty() ? "" : "; " + note) + ")";
  }
  return Error(ErrorKind::NotFound,
               msg + "; give the weights file (--weights FILE) or a .keras/.h5 that holds them");
}

/// A config-only model.json: fresh weights from the initializers, when the caller allows it.
LoadedModel load_json(std::string_view text, const std::string& name, const LoadOptions& options,
                      const std::vector<std::string>& looked_for = {},
                      const std::string& note = "") {
  const Where where{name};
  json config = formats::parse_json(text, where, options.limits.max_config_bytes);
  LoadedModel out;
  out.format = ModelFormat::json_pair;
  out.model = formats::model_from_config(config, where, 0, options.limits);
  apply_compile(out, formats::find(config, "compile_config"), options, where.at("compile_config"));
  // Refused after the config is checked, so its own errors come first.
  if (options.require_weights) throw no_weights(name, looked_for, note);
  finish_load(out, nullptr, options, name);
  return out;
}

}  // namespace

std::string format_name(ModelFormat format) {
  switch (format) {
    case ModelFormat::keras_archive:
      return "keras";
    case ModelFormat::full_h5:
      return "h5";
    case ModelFormat::json_pair:
      return "json+h5";
  }
  return "";
}

std::string model_to_json(const Model& model, ConfigStyle style) {
  return formats::model_config(model, style).dump();
}

std::shared_ptr<Model> model_from_json(std::string_view text, const std::string& where,
                                       uint64_t seed, const LoadLimits& limits) {
  const Where w{where};
  return formats::model_from_config(formats::parse_json(text, w, limits.max_config_bytes), w, seed,
                                    limits);
}

void save_weights(Model& model, const std::string& path, const SaveOptions& options) {
  const auto reference = make_reference(model, options);
  const bool keras3 = ends_with(path, ".weights.h5");
  io::write_atomically(
      path, [&](const std::string& tmp) { write_weights_h5(model, tmp, keras3, reference); });
}

std::vector<std::string> load_weights(Model& model, const std::string& path,
                                      const LoadWeightsOptions& options) {
  if (lower_extension(path) == ".keras") {  // the archive's model.weights.h5, as Keras reads it
    const LoadLimits limits;
    const formats::ArchiveContents a =
        formats::read_archive(archive_bytes(path, limits), path, limits);
    if (a.weights.empty()) throw Error(path + ": the archive has no model.weights.h5");
    formats::h5::File f = formats::h5::File::open_image(a.weights.data(), a.weights.size(),
                                                        path + ":model.weights.h5");
    return read_any_layout(model, f.root(), options);
  }
  formats::h5::File f = formats::h5::File::open(path);
  return read_any_layout(model, f.root(), options);
}

void save_model(Model& model, const std::string& path, const SaveOptions& options) {
  const std::vector<std::string> files = files_saved_for(path);  // refuses unknown extensions
  const std::string ext = lower_extension(path);
  const auto reference = make_reference(model, options);
  if (ext == ".keras") {
    io::write_atomically(
        path, [&](const std::string& tmp) { write_keras_archive(model, tmp, options, reference); });
  } else if (ext == ".h5" || ext == ".hdf5") {
    io::write_atomically(
        path, [&](const std::string& tmp) { write_full_h5(model, tmp, options, reference); });
  } else if (ext == ".json") {
    const std::string& weights = files.at(1);
    io::write_atomically(
        weights, [&](const std::string& tmp) { write_weights_h5(model, tmp, false, reference); });
    const std::string text = model_to_json(model, ConfigStyle::keras2);
    io::write_file_atomically(path, text);
  }
}

namespace {

LoadedModel load_model_unescaped(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorKind::NotFound, path + ": no such file or folder");
  if (fs::is_directory(path, ec)) return load_model_unescaped(model_file_in(path), options);
  const std::string ext = lower_extension(path);
  if (!options.weights.empty() && ext != ".json")
    throw Error(path + ": holds its own weights; --weights " + options.weights +
                " applies only to a model.json config");
  if (ext == ".keras") {
    return load_archive(archive_bytes(path, options.limits), path, options);
  }
  if (ext == ".h5" || ext == ".hdf5") {
    formats::h5::File f = formats::h5::File::open(path);
    const std::string json_path = config_path_for(path);
    return load_h5(f, path, options, is_file(json_path) ? json_path : "");
  }
  if (ext == ".json") {
    const std::string text = formats::read_file(path, options.limits.max_config_bytes);
    std::vector<std::string> looked_for;
    std::string weights;
    if (!options.weights.empty()) {
      if (!is_file(options.weights))
        throw Error(ErrorKind::NotFound, options.weights + ": no such weights file");
      weights = options.weights;
    } else {
      looked_for = weights_candidates(path);
      for (const std::string& c : looked_for)
        if (is_file(c)) {
          weights = c;
          break;
        }
    }
    if (!weights.empty()) {
      formats::h5::File f = formats::h5::File::open(weights);
      return load_h5(f, weights, options, path, true);
    }
    return load_json(text, path, options, looked_for, others_weights(path));
  }
  throw Error(path + ": unknown model file type '" + ext +
              "' (expected .keras, .h5, .json or a folder)");
}

LoadedModel load_from_memory_unescaped(std::string_view bytes, ModelFormat format,
                                       const LoadOptions& options, const std::string& name) {
  if (!options.weights.empty())
    throw Error(name + ": --weights " + options.weights +
                " applies to a model.json file on disk, not to a model in memory");
  switch (format) {
    case ModelFormat::keras_archive:
      return load_archive(bytes, name, options);
    case ModelFormat::full_h5: {
      formats::h5::File f = formats::h5::File::open_image(bytes.data(), bytes.size(), name);
      return load_h5(f, name, options, "");
    }
    case ModelFormat::json_pair:
      return load_json(bytes, name, options);
  }
  throw Error(name + ": unknown format");
}

/// Messages quote names and bytes from the file (layer names, HDF5 paths, config values):
/// every error leaving the load API is escaped once here, for every caller.
template <class F>
LoadedModel escaped_errors(F&& load) {
  try {
    return load();
  } catch (const Error& e) {
    throw Error(e.kind(), escape_bytes(e.what()));
  }
}

}  // namespace

LoadedModel load_model(const std::string& path, const LoadOptions& options) {
  return escaped_errors([&] { return load_model_unescaped(path, options); });
}

LoadedModel load_model_from_memory(std::string_view bytes, ModelFormat format,
                                   const LoadOptions& options, const std::string& name) {
  return escaped_errors([&] { return load_from_memory_unescaped(bytes, format, options, name); });
}

double reference_difference(Model& model, const ReferenceSample& reference) {
  Tensor out = model.predict(reference.input, std::max<int64_t>(1, reference.input.dim(0)));
  if (out.shape() != reference.output.shape())
    throw Error("reference output shape " + shape_str(reference.output.shape()) +
                " does not match the model's " + shape_str(out.shape()));
  double worst = 0.0;
  for (int64_t i = 0; i < out.size(); ++i) {
    const double d =
        std::fabs(static_cast<double>(out[i]) - static_cast<double>(reference.output[i]));
    if (std::isnan(d)) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace glia
