//! Reading request headers, whatever the HTTP stack: names are matched case-insensitively.

/// Request headers, looked up by name regardless of case.
pub trait Headers {
    /// The value of the first header called `name` (any case), if present.
    fn get_header(&self, name: &str) -> Option<&[u8]>;
}

impl Headers for http::HeaderMap {
    fn get_header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for [(K, V)] {
    fn get_header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(K, V)> {
    fn get_header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().get_header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> Headers for [(K, V); N] {
    fn get_header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().get_header(name)
    }
}
