"""What the page scripts share (Streamlit side): the store as the session's account sees it, the login gate,
filters, chart display and export. The numbers themselves come from metrics/, which never imports Streamlit."""
