#include "common.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace vnet::cli {

namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::os_error("cannot read " + path, errno);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Status::os_error("cannot read " + path, errno);
  }
  return text.str();
}

bool is_yaml_name(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

}  // namespace

void print_error(const std::string& message) { std::cerr << "vnetctl: " << message << "\n"; }

void print_diagnostics(const std::vector<topology::Diagnostic>& errors) {
  for (const topology::Diagnostic& d : errors) {
    if (d.loc.file.empty()) {
      std::cerr << d.message << "\n";
    } else {
      std::cerr << d.str() << "\n";
    }
  }
}

Result<std::vector<std::pair<std::string, std::string>>> read_inputs(
    const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> docs;
  bool stdin_used = false;
  for (const std::string& path : paths) {
    if (path == "-") {
      if (stdin_used) {
        return Status::error("standard input (-) given more than once");
      }
      stdin_used = true;
      docs.emplace_back("<stdin>", std::string(std::istreambuf_iterator<char>(std::cin),
                                               std::istreambuf_iterator<char>()));
      continue;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        if (entry.is_regular_file() && is_yaml_name(entry.path())) {
          files.push_back(entry.path());
        }
      }
      if (ec) {
        return Status::os_error("cannot list " + path, ec.value());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        return Status::error(path + ": no *.yaml or *.yml files in this directory");
      }
      for (const auto& file : files) {
        Result<std::string> text = read_file(file.string());
        if (!text) {
          return text.status();
        }
        docs.emplace_back(file.string(), std::move(*text));
      }
      continue;
    }
    Result<std::string> text = read_file(path);
    if (!text) {
      return text.status();
    }
    docs.emplace_back(path, std::move(*text));
  }
  return docs;
}

std::optional<topology::Topology> load_topology(const std::vector<std::string>& paths) {
  auto docs = read_inputs(paths);
  if (!docs) {
    print_error(docs.status().message());
    return std::nullopt;
  }
  topology::LoadResult loaded = topology::load_strings(*docs);
  if (!loaded.errors.empty() || !loaded.topology) {
    print_diagnostics(loaded.errors);
    const std::size_t n = loaded.errors.size();
    print_error(n == 0 ? "invalid topology"
                       : "invalid topology: " + std::to_string(n) + (n == 1 ? " error" : " errors"));
    return std::nullopt;
  }
  return std::move(loaded.topology);
}

std::unique_ptr<store::Store> open_store_or_report(const Globals& globals) {
  auto opened = store::open_store(globals.store_url);
  if (!opened) {
    print_error("cannot open store " + globals.store_url + ": " + opened.status().message());
    return nullptr;
  }
  return std::move(*opened);
}

const topology::Topology& Desired::topology() const {
  static const topology::Topology kEmpty;
  return stored ? stored->topology : kEmpty;
}

std::optional<Desired> load_desired_or_report(store::Store& store) {
  auto loaded = store.load();
  if (!loaded) {
    print_error("cannot read the desired state: " + loaded.status().message());
    return std::nullopt;
  }
  return Desired{std::move(*loaded)};
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vnet::cli
