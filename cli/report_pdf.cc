// The report as an A4 PDF: cairo draws, pango lays out the text (line
// breaking, CJK shaping) in the Noto CJK fonts (Debian's fonts-noto-cjk).
#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <memory>
#include <string>

#include "cli/report.h"

namespace custos::report {

namespace {

using Kind = Block::Kind;

// A4 in points, and the margins.
constexpr double kPageWidth = 595.28;
constexpr double kPageHeight = 841.89;
constexpr double kLeft = 56;
constexpr double kTop = 64;
constexpr double kBottom = kPageHeight - 64;
constexpr double kWidth = kPageWidth - 2 * kLeft;
constexpr double kLabelWidth = 88;
constexpr double kGap = 8;

constexpr const char* kSans = "Noto Sans CJK SC";
constexpr const char* kMono = "Noto Sans Mono CJK SC";

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Surface = std::unique_ptr<cairo_surface_t, Deleter<cairo_surface_t, cairo_surface_destroy>>;
using Context = std::unique_ptr<cairo_t, Deleter<cairo_t, cairo_destroy>>;

void UnrefLayout(PangoLayout* l) { g_object_unref(l); }
using Layout = std::unique_ptr<PangoLayout, Deleter<PangoLayout, UnrefLayout>>;

class Pages {
 public:
  Pages(cairo_t* cr, Lang lang, std::string title) : cr_(cr), lang_(lang), title_(std::move(title)) {}

  // A layout of `text` in `font` ("Noto Sans CJK SC Bold 12"), `width` wide.
  Layout Text(const std::string& text, const std::string& font, double width, bool mono = false) {
    Layout l(pango_cairo_create_layout(cr_));
    pango_cairo_context_set_resolution(pango_layout_get_context(l.get()), 72);  // 1 pt = 1 unit
    pango_layout_context_changed(l.get());
    PangoFontDescription* desc = pango_font_description_from_string(font.c_str());
    pango_layout_set_font_description(l.get(), desc);
    pango_font_description_free(desc);
    pango_layout_set_width(l.get(), static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(l.get(), mono ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
    // A hash broken across lines must not gain a hyphen that is not in it.
    PangoAttrList* attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
    pango_layout_set_attributes(l.get(), attrs);
    pango_attr_list_unref(attrs);
    pango_layout_set_text(l.get(), text.c_str(), static_cast<int>(text.size()));
    return l;
  }

  static double Height(const Layout& l) {
    int w = 0, h = 0;
    pango_layout_get_size(l.get(), &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }

  void Draw(const Layout& l, double x, double y, double gray = 0) {
    cairo_set_source_rgb(cr_, gray, gray, gray);
    cairo_move_to(cr_, x, y);
    pango_cairo_show_layout(cr_, l.get());
  }

  // Starts a new page unless `height` more fits on this one.
  void Need(double height) {
    if (y_ + height > kBottom && y_ > kTop) NextPage();
  }

  void NextPage() {
    Footer();
    cairo_show_page(cr_);
    ++page_;
    y_ = kTop;
  }

  void Finish() { Footer(); }

  void Rule(double width_pt, double gray) {
    cairo_set_source_rgb(cr_, gray, gray, gray);
    cairo_set_line_width(cr_, width_pt);
    cairo_move_to(cr_, kLeft, y_);
    cairo_line_to(cr_, kLeft + kWidth, y_);
    cairo_stroke(cr_);
  }

  double& y() { return y_; }
  cairo_t* cr() { return cr_; }

 private:
  void Footer() {
    const std::string text = title_ + "  ·  " +
                             (lang_ == Lang::kZh ? "第 " + std::to_string(page_) + " 页" : "page " + std::to_string(page_));
    Layout l = Text(text, std::string(kSans) + " 8", kWidth);
    pango_layout_set_alignment(l.get(), PANGO_ALIGN_CENTER);
    Draw(l, kLeft, kPageHeight - 40, 0.4);
  }

  cairo_t* cr_;
  Lang lang_;
  std::string title_;
  int page_ = 1;
  double y_ = kTop;
};

void DrawBlock(Pages& p, const Block& b) {
  const std::string sans(kSans), mono(kMono);
  switch (b.kind) {
    case Kind::kTitle: {
      Layout l = p.Text(b.value, sans + " Bold 20", kWidth);
      pango_layout_set_alignment(l.get(), PANGO_ALIGN_CENTER);
      p.Draw(l, kLeft, p.y());
      p.y() += Pages::Height(l) + 6;
      p.Rule(1.5, 0.2);
      p.y() += 10;
      break;
    }
    case Kind::kVerdict: {
      Layout l = p.Text(b.value, sans + " Bold 10.5", kWidth - 20);
      const double h = Pages::Height(l) + 14;
      p.Need(h);
      const bool ok = b.label == "ok";
      cairo_t* cr = p.cr();
      cairo_rectangle(cr, kLeft, p.y(), kWidth, h);
      cairo_set_source_rgb(cr, ok ? 0.93 : 0.98, ok ? 0.97 : 0.93, ok ? 0.93 : 0.93);
      cairo_fill_preserve(cr);
      cairo_set_source_rgb(cr, ok ? 0.16 : 0.65, ok ? 0.48 : 0.13, ok ? 0.16 : 0.13);
      cairo_set_line_width(cr, 1.5);
      cairo_stroke(cr);
      p.Draw(l, kLeft + 10, p.y() + 7);
      p.y() += h + 6;
      break;
    }
    case Kind::kSection: {
      Layout l = p.Text(b.value, sans + " Bold 12.5", kWidth);
      p.Need(Pages::Height(l) + 40);  // keep a heading with what follows
      p.y() += 10;
      p.Draw(l, kLeft, p.y());
      p.y() += Pages::Height(l) + 2;
      p.Rule(0.6, 0.5);
      p.y() += 5;
      break;
    }
    case Kind::kItem: {
      Layout l = p.Text(b.value, sans + " Bold 9.5", kWidth);
      p.Need(Pages::Height(l) + 30);
      p.y() += 5;
      p.Draw(l, kLeft, p.y());
      p.y() += Pages::Height(l) + 2;
      break;
    }
    case Kind::kField:
    case Kind::kHash: {
      Layout label = p.Text(b.label, sans + " 8.5", kLabelWidth);
      const bool hash = b.kind == Kind::kHash;
      Layout value = p.Text(b.value, hash ? mono + " 7.5" : sans + " 9", kWidth - kLabelWidth - kGap, hash);
      const double h = std::max(Pages::Height(label), Pages::Height(value));
      p.Need(h);
      p.Draw(label, kLeft, p.y() + (hash ? 0 : 0.5), 0.35);
      p.Draw(value, kLeft + kLabelWidth + kGap, p.y() + (hash ? 1 : 0));
      p.y() += h + 2.5;
      break;
    }
    case Kind::kText: {
      Layout l = p.Text(b.value, sans + " 9", kWidth);
      p.Need(Pages::Height(l));
      p.Draw(l, kLeft, p.y());
      p.y() += Pages::Height(l) + 3;
      break;
    }
    case Kind::kCommand: {
      Layout l = p.Text(b.value, mono + " 8", kWidth - 12, true);
      const double h = Pages::Height(l) + 8;
      p.Need(h);
      cairo_rectangle(p.cr(), kLeft, p.y(), kWidth, h);
      cairo_set_source_rgb(p.cr(), 0.95, 0.95, 0.95);
      cairo_fill(p.cr());
      p.Draw(l, kLeft + 6, p.y() + 4);
      p.y() += h + 4;
      break;
    }
    case Kind::kQr: {
      auto modules = QrModules(b.value);
      if (!modules.ok()) break;
      const double cell = 2.6;
      const double side = static_cast<double>(modules->size()) * cell;
      Layout caption = p.Text(b.label + "\n" + b.value, mono + " 7", kWidth, true);
      pango_layout_set_alignment(caption.get(), PANGO_ALIGN_CENTER);
      p.Need(side + 16 + Pages::Height(caption));
      p.y() += 8;
      const double x0 = kLeft + (kWidth - side) / 2;
      cairo_set_source_rgb(p.cr(), 0, 0, 0);
      for (size_t row = 0; row < modules->size(); ++row) {
        for (size_t col = 0; col < modules->size(); ++col) {
          if ((*modules)[row][col]) cairo_rectangle(p.cr(), x0 + col * cell, p.y() + row * cell, cell, cell);
        }
      }
      cairo_fill(p.cr());
      p.y() += side + 6;
      p.Draw(caption, kLeft, p.y());
      p.y() += Pages::Height(caption);
      break;
    }
  }
}

}  // namespace

Status WritePdf(const std::vector<Block>& blocks, Lang lang, const std::string& path) {
  Surface surface(cairo_pdf_surface_create(path.c_str(), kPageWidth, kPageHeight));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return Status::IOError("--report: cannot write " + path + ": " + cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  std::string title;
  for (const Block& b : blocks) {
    if (b.kind == Kind::kTitle) title = b.value;
  }
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "custos verify --bundle --report");
  {
    Context cr(cairo_create(surface.get()));
    Pages pages(cr.get(), lang, title);
    for (const Block& b : blocks) DrawBlock(pages, b);
    pages.Finish();
  }
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return Status::IOError("--report: writing " + path + ": " + cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  return Status::OK();
}

}  // namespace custos::report
