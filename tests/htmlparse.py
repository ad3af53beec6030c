"""Small helpers to read rendered pages as a browser would: text content, not markup."""

from html.parser import HTMLParser


class _ElementText(HTMLParser):
    """Collect the text of every `tag` element inside the element with class `within`."""

    def __init__(self, tag: str, within: str):
        super().__init__(convert_charrefs=True)
        self.tag, self.within = tag, within
        self.depth_inside = 0
        self.capturing = 0
        self.items: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.depth_inside:
            self.depth_inside += 1
        elif self.within in classes:
            self.depth_inside = 1
        if self.depth_inside and tag == self.tag:
            self.capturing += 1
            if self.capturing == 1:
                self.items.append("")

    def handle_endtag(self, tag):
        if self.depth_inside and tag == self.tag and self.capturing:
            self.capturing -= 1
        if self.depth_inside:
            self.depth_inside -= 1

    def handle_data(self, data):
        if self.capturing:
            self.items[-1] += data


def texts(html: str, tag: str, *, within: str) -> list[str]:
    parser = _ElementText(tag, within)
    parser.feed(html)
    return parser.items


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.handlers: list[tuple[str, str]] = []
        self.scripts: list[tuple[str, str]] = []
        self._script_type: str | None = None

    def handle_starttag(self, tag, attrs):
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self._script_type = dict(attrs).get("type") or "text/javascript"
            self.scripts.append((self._script_type, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_type = None

    def handle_data(self, data):
        if self._script_type is not None:
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)


def event_handler_attributes(html: str) -> list[tuple[str, str]]:
    """Every `on…=` attribute in the document, as (tag, attribute) pairs."""
    inspector = _Inspector()
    inspector.feed(html)
    return inspector.handlers


def script_blocks(html: str, *, executable: bool) -> list[str]:
    """The text of script elements; JSON data blocks are not executable."""
    inspector = _Inspector()
    inspector.feed(html)
    data_types = {"application/ld+json", "application/json"}
    return [text for kind, text in inspector.scripts if (kind not in data_types) == executable]
